# Seed 004's HeartbeatClient, copied verbatim from the seed's first code block (the contract
# says it must work against Vigil unchanged). Do not edit.
import requests
import time
import json
import os
from datetime import datetime
from typing import Optional, Dict, Any
import threading
import signal
import sys

class HeartbeatClient:
    """心跳客户端 - 用于容器内服务向主控系统发送心跳"""
    
    def __init__(self, 
                 api_base_url: str,
                 execution_id: str,
                 container_id: str,
                 heartbeat_interval: int = 30):
        """
        初始化心跳客户端
        
        Args:
            api_base_url: 主控系统的API基础URL
            execution_id: 任务执行ID
            container_id: Docker容器ID
            heartbeat_interval: 心跳间隔（秒）
        """
        self.api_base_url = api_base_url.rstrip('/')
        self.execution_id = execution_id
        self.container_id = container_id
        self.heartbeat_interval = heartbeat_interval
        self.heartbeat_url = f"{self.api_base_url}/api/v1/monitoring/heartbeat"
        self.completion_url = f"{self.api_base_url}/api/v1/monitoring/completion"
        
        self.is_running = False
        self.heartbeat_thread = None
        self.task_status = "running"
        self.task_progress = {}
        
        # 设置信号处理器，优雅关闭
        signal.signal(signal.SIGTERM, self._signal_handler)
        signal.signal(signal.SIGINT, self._signal_handler)
    
    def _signal_handler(self, signum, frame):
        """信号处理器"""
        print(f"收到信号 {signum}，正在关闭心跳客户端...")
        self.stop()
        sys.exit(0)
    
    def start(self):
        """启动心跳服务"""
        if self.is_running:
            return
        
        self.is_running = True
        self.heartbeat_thread = threading.Thread(target=self._heartbeat_loop, daemon=True)
        self.heartbeat_thread.start()
        print(f"心跳客户端已启动，执行ID: {self.execution_id}")
    
    def stop(self):
        """停止心跳服务"""
        self.is_running = False
        if self.heartbeat_thread:
            self.heartbeat_thread.join(timeout=5)
        print("心跳客户端已停止")
    
    def update_status(self, status: str, progress: Optional[Dict[str, Any]] = None):
        """
        更新任务状态
        
        Args:
            status: 任务状态 (running, completed, failed)
            progress: 任务进度信息
        """
        self.task_status = status
        if progress:
            self.task_progress.update(progress)
    
    def _heartbeat_loop(self):
        """心跳循环"""
        while self.is_running:
            try:
                self._send_heartbeat()
                time.sleep(self.heartbeat_interval)
            except Exception as e:
                print(f"心跳发送失败: {e}")
                time.sleep(5)  # 失败后等待5秒再重试
    
    def _send_heartbeat(self):
        """发送心跳"""
        try:
            heartbeat_data = {
                "execution_id": self.execution_id,
                "container_id": self.container_id,
                "status": self.task_status,
                "progress": self.task_progress,
                "timestamp": int(time.time())
            }
            
            response = requests.post(
                self.heartbeat_url,
                json=heartbeat_data,
                timeout=10,
                headers={'Content-Type': 'application/json'}
            )
            
            if response.status_code == 200:
                result = response.json()
                if result.get('status') == 'ok':
                    print(f"心跳发送成功: {datetime.now().isoformat()}")
                else:
                    print(f"心跳响应异常: {result}")
            else:
                print(f"心跳请求失败: {response.status_code} - {response.text}")
                
        except requests.exceptions.RequestException as e:
            print(f"心跳网络请求异常: {e}")
        except Exception as e:
            print(f"心跳发送异常: {e}")
    
    def send_completion(self, success: bool, result_data: Optional[Dict[str, Any]] = None, 
                       error_message: Optional[str] = None):
        """
        发送任务完成通知
        
        Args:
            success: 任务是否成功
            result_data: 任务结果数据
            error_message: 错误信息（如果任务失败）
        """
        try:
            completion_data = {
                "execution_id": self.execution_id,
                "container_id": self.container_id,
                "success": success,
                "result_data": result_data or {},
                "error_message": error_message
            }
            
            response = requests.post(
                self.completion_url,
                json=completion_data,
                timeout=10,
                headers={'Content-Type': 'application/json'}
            )
            
            if response.status_code == 200:
                print("任务完成通知发送成功")
            else:
                print(f"任务完成通知发送失败: {response.status_code} - {response.text}")
                
        except Exception as e:
            print(f"发送任务完成通知异常: {e}")
