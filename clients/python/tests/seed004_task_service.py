#!/usr/bin/env python3
"""
示例：数据采集任务服务
展示如何在容器内任务中使用心跳客户端
"""

import os
import json
import time
from vigil_client import HeartbeatClient

def main():
    """主函数"""
    # 从环境变量获取配置
    execution_id = os.getenv('TASK_EXECUTION_ID')
    container_id = os.getenv('HOSTNAME', 'unknown-container')
    api_base_url = os.getenv('API_BASE_URL', 'http://localhost:8000')
    config_path = os.getenv('CONFIG_PATH', '/app/config/config.json')
    
    if not execution_id:
        print("错误: 未设置 TASK_EXECUTION_ID 环境变量")
        return 1
    
    print(f"启动任务服务 - 执行ID: {execution_id}, 容器ID: {container_id}")
    
    # 初始化心跳客户端
    heartbeat_client = HeartbeatClient(
        api_base_url=api_base_url,
        execution_id=execution_id,
        container_id=container_id,
        heartbeat_interval=30  # 30秒发送一次心跳
    )
    
    try:
        # 启动心跳
        heartbeat_client.start()
        
        # 读取任务配置
        with open(config_path, 'r', encoding='utf-8') as f:
            config = json.load(f)
        
        print(f"任务配置: {config['task_name']}")
        heartbeat_client.update_status("running", {"stage": "配置加载完成"})
        
        # 模拟任务执行
        total_steps = 10
        for step in range(1, total_steps + 1):
            # 更新进度
            progress = {
                "stage": "数据处理中",
                "current_step": step,
                "total_steps": total_steps,
                "percentage": round(step / total_steps * 100, 2)
            }
            heartbeat_client.update_status("running", progress)
            
            print(f"执行步骤 {step}/{total_steps}")
            
            # 模拟处理时间
            time.sleep(5)
            
            # 模拟可能的错误
            if step == 3 and config.get('simulate_error'):
                heartbeat_client.update_status("failed", {"error": "模拟错误"})
                heartbeat_client.send_completion(
                    success=False,
                    error_message="模拟任务执行错误"
                )
                return 1
        
        # 任务完成
        heartbeat_client.update_status("completed", {"stage": "任务完成"})
        
        # 发送完成通知
        result_data = {
            "processed_records": 1000,
            "output_files": ["result.json", "summary.txt"],
            "execution_time": "2.5分钟"
        }
        
        heartbeat_client.send_completion(
            success=True,
            result_data=result_data
        )
        
        print("任务执行完成")
        return 0
        
    except KeyboardInterrupt:
        print("收到中断信号，正在停止任务...")
        heartbeat_client.send_completion(
            success=False,
            error_message="任务被用户中断"
        )
        return 1
        
    except Exception as e:
        print(f"任务执行异常: {e}")
        heartbeat_client.send_completion(
            success=False,
            error_message=str(e)
        )
        return 1
        
    finally:
        # 停止心跳
        heartbeat_client.stop()

if __name__ == "__main__":
    exit(main())
